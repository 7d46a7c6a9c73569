/**
 * What to do when a measured value arrives for a (series, ts) that already holds a different
 * measured value: keep both, the new one served and the old one as a revision (default), or
 * refuse the whole batch (strict feeds: VALUE_CONFLICT, nothing written).
 */
export const ON_CONFLICT = ['revise', 'reject'] as const;
export type OnConflict = (typeof ON_CONFLICT)[number];
