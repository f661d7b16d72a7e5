-- The runner claims runs of one job by status in id order.
CREATE INDEX runs_job_status_id ON runs(job_id, status, id);
