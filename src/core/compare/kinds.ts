/**
 * The lists a comparison is made of, in a module with no imports, so the webview bundle and the
 * message schemas can use them without pulling in the comparison itself.
 */

/** How two runs' records are paired: by id, by content, or each re-run with the record it re-ran. */
export const PAIRINGS = ['id', 'content', 'source'] as const;

/** The two ways an outcome flips between run A and run B. */
export const FLIP_KINDS = ['rightToWrong', 'wrongToRight'] as const;
