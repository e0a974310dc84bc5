// Prettier: the style the code was written in (2 spaces, single quotes, semicolons, trailing commas, `(x) =>`).
// printWidth 140, not prettier's 80: the code was written with long lines (420 lines over 140 before the
// first format, 1815 over 100), and 140 keeps most of its one-line calls and signatures on one line instead
// of breaking every other statement. Long strings and comments are not broken by prettier.
/** @type {import('prettier').Config} */
export default {
  printWidth: 140,
  tabWidth: 2,
  useTabs: false,
  semi: true,
  singleQuote: true,
  quoteProps: 'as-needed',
  trailingComma: 'all',
  bracketSpacing: true,
  arrowParens: 'always',
  endOfLine: 'lf',
};
