/**
 * What a past time may see of the stored data (a replay's `--known-at`). `received`: only what had
 * been received by then (revisions received later left out) — exact for a store that ingested live,
 * and what the live system always does. `timestamps`: every stored value timed before then,
 * whenever it was received — what a history imported after the fact allows (received strictly, it
 * would be unknown at every past time).
 */
export const KNOWLEDGE = ['timestamps', 'received'] as const;
export type Knowledge = (typeof KNOWLEDGE)[number];
