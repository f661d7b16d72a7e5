/** The review statuses a record can have (the server's `status` strings), in display order. */
export const REVIEW_STATUSES = ["pending", "accepted", "rejected", "edited"] as const;

/** A record's review status. */
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];
