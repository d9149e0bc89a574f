// Size limits of a QoE beacon, shared by the player (which must stay under them) and the receiver (which enforces them).

/** sendBeacon() queues at most 64 KiB per page, so a beacon must fit well inside it. */
export const BEACON_MAX_BYTES = 48 * 1024;
/** Per beacon; the player sends segment records as deltas and carries the rest over to the next beacon. */
export const BEACON_MAX_SEGMENTS = 200;
export const BEACON_MAX_ERRORS = 20;
