/**
 * The review page's keyboard: which key does what, and where the cursor goes. Pure: the page
 * performs the commands (status changes are PUT /api/records/{id}).
 */
import type { ReviewStatus } from "./statuses";

/** What a key asks for. */
export type ReviewCommand =
  | { type: "status"; status: ReviewStatus }
  | { type: "edit" }
  | { type: "next" }
  | { type: "previous" }
  | { type: "help" }
  | { type: "close" };

/** The keys, in the order the help lists them. */
export const REVIEW_KEYS: { key: string; label: string; command: ReviewCommand }[] = [
  { key: "A", label: "accept", command: { type: "status", status: "accepted" } },
  { key: "R", label: "reject", command: { type: "status", status: "rejected" } },
  { key: "U", label: "back to pending", command: { type: "status", status: "pending" } },
  { key: "E", label: "edit the record", command: { type: "edit" } },
  { key: "N", label: "next record", command: { type: "next" } },
  { key: "P", label: "previous record", command: { type: "previous" } },
  { key: "?", label: "show or hide these keys", command: { type: "help" } },
  { key: "Esc", label: "close the help or the editor", command: { type: "close" } },
];

/** The part of a keyboard event the mapping reads. */
export interface KeyLike {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
  /** The focused element, to leave typing alone. */
  target?: EventTarget | null;
}

/** Whether the focus is somewhere the user types (inputs, text areas, code editors, selects). */
export function isTyping(target: EventTarget | null | undefined): boolean {
  if (!target || typeof (target as Element).closest !== "function") return false;
  const element = target as HTMLElement;
  if (element.isContentEditable) return true;
  return element.closest("input, textarea, select, [contenteditable=''], [contenteditable='true']") !== null;
}

/**
 * The command of a key press, or null when the key means nothing here, a modifier is held,
 * or the user is typing (Escape still closes).
 */
export function commandForKey(event: KeyLike): ReviewCommand | null {
  if (event.key === "Escape") return { type: "close" };
  if (event.ctrlKey || event.metaKey || event.altKey) return null;
  if (isTyping(event.target)) return null;
  if (event.key === "?") return { type: "help" };
  const key = event.key.length === 1 ? event.key.toUpperCase() : "";
  const entry = REVIEW_KEYS.find((k) => k.key === key);
  return entry ? entry.command : null;
}

/** Where the review cursor is: a page of records and one of them. */
export interface ReviewCursor {
  /** First record of the page among all matching records. */
  offset: number;
  /** Records per page. */
  pageSize: number;
  /** Records matching the filter. */
  total: number;
  /** The selected record within the page. */
  index: number;
}

/** The selected record's position among all matching records (0-based). */
export function absolutePosition(cursor: ReviewCursor): number {
  return cursor.offset + cursor.index;
}

/** Moves to the record at `position` among all (clamped), turning the page when needed. */
export function moveTo(cursor: ReviewCursor, position: number): ReviewCursor {
  if (cursor.total <= 0) return { ...cursor, offset: 0, index: 0 };
  const clamped = Math.min(Math.max(position, 0), cursor.total - 1);
  const offset = Math.floor(clamped / cursor.pageSize) * cursor.pageSize;
  return { ...cursor, offset, index: clamped - offset };
}

/** The cursor after N (next) or P (previous); it stays put at either end. */
export function step(cursor: ReviewCursor, direction: "next" | "previous"): ReviewCursor {
  return moveTo(cursor, absolutePosition(cursor) + (direction === "next" ? 1 : -1));
}

/** The cursor when the total changes (a filter or a review moved records): kept in range. */
export function withTotal(cursor: ReviewCursor, total: number): ReviewCursor {
  return moveTo({ ...cursor, total }, absolutePosition(cursor));
}
