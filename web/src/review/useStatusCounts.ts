/** Records per review status under a pipeline/job filter, from `X-Total-Count` (limit 0). */
import { listRecords, type RecordFilter } from "../api/endpoints";
import { REVIEW_STATUSES, type ReviewStatus } from "../api/types";

/** The count of every status and of all records. */
export type StatusCounts = Record<ReviewStatus | "all", number>;

/** Reads the counts: one `limit=0` request per status, plus one for all. */
export async function statusCounts(filter: Omit<RecordFilter, "status">, signal?: AbortSignal): Promise<StatusCounts> {
  const statuses: (ReviewStatus | "")[] = ["", ...REVIEW_STATUSES];
  const totals = await Promise.all(
    statuses.map((status) => listRecords({ ...filter, status, limit: 0, offset: 0 }, signal).then((page) => page.total)),
  );
  const counts = { all: totals[0] } as StatusCounts;
  REVIEW_STATUSES.forEach((status, i) => {
    counts[status] = totals[i + 1];
  });
  return counts;
}
