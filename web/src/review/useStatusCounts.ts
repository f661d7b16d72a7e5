/** Records per review status under a pipeline/job filter, from `X-Total-Count` (limit 0). */
import { queryOptions } from "@tanstack/react-query";
import { api, page } from "../api/client";
import { queryKeys, type RecordFilter } from "../api/queryKeys";
import { REVIEW_STATUSES, type ReviewStatus } from "./statuses";

/** The count of every status and of all records. */
export type StatusCounts = Record<ReviewStatus | "all", number>;

/** Reads the counts: one `limit=0` request per status, plus one for all. */
export async function statusCounts(filter: Omit<RecordFilter, "status">, signal?: AbortSignal): Promise<StatusCounts> {
  const statuses: (ReviewStatus | undefined)[] = [undefined, ...REVIEW_STATUSES];
  const totals = await Promise.all(
    statuses.map((status) =>
      page(api.GET("/api/records", { params: { query: { ...filter, status, limit: 0, offset: 0 } }, signal })).then((p) => p.total),
    ),
  );
  const counts = { all: totals[0] } as StatusCounts;
  REVIEW_STATUSES.forEach((status, i) => {
    counts[status] = totals[i + 1];
  });
  return counts;
}

/** The counts as a query (under `records`: any record write refreshes them). */
export const statusCountsQuery = (filter: Omit<RecordFilter, "status">) =>
  queryOptions({ queryKey: queryKeys.statusCounts(filter), queryFn: ({ signal }) => statusCounts(filter, signal) });
