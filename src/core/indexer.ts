/**
 * The index's old import path, kept as a re-export of src/core/index/ (where the index, its readers,
 * the two-thread split and the packed entries now live, one module per job) for the importers that
 * are edited on other branches at the same time (src/extension/*, src/core/filter.ts, summary.ts,
 * compare/compare.ts). New code imports from src/core/index; once those branches are merged, their
 * imports can move there too and this file can go.
 */
export * from './index/index';
