-- A page of GET /api/records (and the job stream) walks one index in id order for whichever
-- filters it has, reading the ids of its page from the index before the rows themselves: no
-- filter (the primary key), job, job and status, pipeline, status. Pipeline and status
-- together walk the pipeline's index.
DROP INDEX records_job_status;
DROP INDEX records_pipeline;
CREATE INDEX records_job_id ON records(job_id, id);
CREATE INDEX records_job_status_id ON records(job_id, status, id);
CREATE INDEX records_pipeline_id ON records(pipeline_id, id);
CREATE INDEX records_status_id ON records(status, id);
