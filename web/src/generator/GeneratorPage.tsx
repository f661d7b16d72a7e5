/**
 * Generator: pick a pipeline, drop a seed file, verify the seeds, set the concurrency and
 * start; every job of this session and every running job is listed with live progress.
 */
import { useEffect, useMemo, useState } from "react";
import { useSearchParams } from "react-router-dom";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, data } from "../api/client";
import { blocksQuery, jobsQuery, pipelinesQuery, settingsQuery } from "../api/queries";
import { queryKeys } from "../api/queryKeys";
import type { Job, Pipeline, SeedReport } from "../api/schema";
import { DropZone } from "../components/DropZone";
import { PipelineSelect } from "../components/PipelineSelect";
import { ErrorMessage, Loading, QueryState } from "../components/RequestState";
import { JobCard } from "./JobCard";
import { seederOf } from "./seeder";
import { parseSeedFile, SEED_FILE_ACCEPT } from "./seedFile";
import { SeedReportView } from "./SeedReportView";
import { startJob } from "./startJob";

/** The concurrency shown until the server's `default_concurrency` setting is read. */
const DEFAULT_CONCURRENCY = 16;
/** Finished jobs listed below the running ones. */
const RECENT_JOBS = 5;
/** How often the jobs list is reread. */
export const JOBS_POLL_MS = 5000;

interface PickedFile {
  file: File;
  seeds: unknown[] | null;
  parseError: string | null;
}

/** The generator page. */
export function GeneratorPage() {
  const [params] = useSearchParams();
  const client = useQueryClient();
  const pipelines = useQuery(pipelinesQuery());
  // To tell whether the chosen pipeline starts with a seeder, which needs no seed file.
  const blocks = useQuery(blocksQuery());
  // Reread so jobs started elsewhere (another tab, the CLI) show up too.
  const jobs = useQuery({ ...jobsQuery(), refetchInterval: JOBS_POLL_MS });
  const [pipelineId, setPipelineId] = useState<number | null>(() => {
    const fromUrl = Number(params.get("pipeline_id"));
    return Number.isInteger(fromUrl) && fromUrl > 0 ? fromUrl : null;
  });
  const [picked, setPicked] = useState<PickedFile | null>(null);
  const [concurrency, setConcurrency] = useState(DEFAULT_CONCURRENCY);
  // The server's `default_concurrency` setting, until the user types a value of their own.
  const [concurrencyEdited, setConcurrencyEdited] = useState(false);
  const settings = useQuery(settingsQuery());
  useEffect(() => {
    if (!concurrencyEdited && settings.data) setConcurrency(settings.data.default_concurrency);
  }, [concurrencyEdited, settings.data]);
  const [report, setReport] = useState<SeedReport | null>(null);
  const [started, setStarted] = useState<Job[]>([]);
  const verification = useMutation({
    mutationFn: ({ id, seeds }: { id: number; seeds: unknown[] }) =>
      data(api.POST("/api/seeds/validate", { body: { pipeline_id: id, seeds } })),
    onMutate: () => setReport(null),
    onSuccess: setReport,
  });
  const { mutate: verifySeeds, reset: resetVerification } = verification;

  // A pipeline named in the URL that does not exist, told once the list is read.
  const [missingPipeline, setMissingPipeline] = useState<number | null>(null);
  // Without a choice (or with one that names no pipeline), the first pipeline.
  useEffect(() => {
    if (!pipelines.data) return;
    if (pipelineId !== null && !pipelines.data.some((p) => p.id === pipelineId)) {
      setMissingPipeline(pipelineId);
      setPipelineId(pipelines.data[0]?.id ?? null);
    } else if (pipelineId === null && pipelines.data.length > 0) setPipelineId(pipelines.data[0].id);
  }, [pipelineId, pipelines.data]);

  const onFile = async (file: File) => {
    setReport(null);
    resetVerification();
    const text = await file.text();
    try {
      setPicked({ file, seeds: parseSeedFile(file.name, text), parseError: null });
    } catch (e) {
      setPicked({ file, seeds: null, parseError: e instanceof Error ? e.message : String(e) });
    }
  };

  // Verify as soon as both a pipeline and readable seeds are there.
  const seeds = picked?.seeds ?? null;
  useEffect(() => {
    if (pipelineId !== null && seeds) verifySeeds({ id: pipelineId, seeds });
  }, [pipelineId, seeds, verifySeeds]);

  const seeder = seederOf(
    pipelines.data?.find((p) => p.id === pipelineId),
    blocks.data,
  );

  const starting = useMutation({
    mutationFn: (id: number) => startJob(id, picked?.file ?? null, concurrency),
    onSuccess: ({ job_id }, pipelineId) => {
      const now = Date.now();
      const placeholderJob: Job = {
        id: job_id,
        pipeline_id: pipelineId,
        status: "running",
        total_seeds: report?.total_runs ?? 0,
        current_seed: 0,
        records_generated: 0,
        records_failed: 0,
        progress: 0,
        current_block: "",
        current_step: null,
        error: null,
        usage: { input_tokens: 0, output_tokens: 0, cached_tokens: 0, start_time: now / 1000, end_time: null },
        usage_by_model: {},
        llm_calls: { requests: 0, attempts: 0, retries: 0, failed: 0, wait_ms: 0 },
        cache: "auto",
        options: { concurrency, file: picked?.file.name ?? null, seedless: !picked },
        created_at: now,
        started_at: now,
        completed_at: null,
      };
      setStarted((list) => [placeholderJob, ...list]);
      void client.invalidateQueries({ queryKey: queryKeys.jobs });
    },
  });
  const start = () => {
    if (pipelineId === null || (!picked && !seeder)) return;
    starting.mutate(pipelineId);
  };

  const names = useMemo(() => new Map((pipelines.data ?? []).map((p: Pipeline) => [p.id, p.name])), [pipelines.data]);
  const listed = useMemo(() => {
    const startedIds = new Set(started.map((j) => j.id));
    const others = (jobs.data ?? []).filter((j) => !startedIds.has(j.id));
    const running = others.filter((j) => j.status === "running");
    const recent = others.filter((j) => j.status !== "running").slice(0, RECENT_JOBS);
    return [...started, ...running, ...recent];
  }, [started, jobs.data]);

  const blocked = (picked !== null && picked.parseError !== null) || (report !== null && !report.valid);
  const canStart = pipelineId !== null && (picked !== null || seeder !== null) && !blocked && !starting.isPending;

  return (
    <section>
      <h1>Generator</h1>
      <div className="card">
        {missingPipeline !== null && (
          <p className="warn" role="alert">
            There is no pipeline #{missingPipeline}
            {pipelineId !== null ? ": the first one is chosen instead." : "."}
          </p>
        )}
        <QueryState query={pipelines}>
          {(list) =>
            list.length === 0 ? (
              <p>No pipelines yet: create one on the Pipelines page first.</p>
            ) : (
              <div className="row">
                <PipelineSelect
                  pipelines={list}
                  value={pipelineId}
                  onChange={(id) => {
                    setReport(null);
                    setPipelineId(id ?? null);
                  }}
                />
                <label>
                  Concurrency
                  <input
                    type="number"
                    min={1}
                    max={1024}
                    value={concurrency}
                    onChange={(e) => {
                      setConcurrencyEdited(true);
                      setConcurrency(Math.max(1, Number(e.target.value) || 1));
                    }}
                  />
                </label>
              </div>
            )
          }
        </QueryState>
        <h2>Seeds</h2>
        <DropZone label="Seed file" accept={SEED_FILE_ACCEPT} inputTestId="seed-file-input" onFile={onFile}>
          {picked && (
            <p>
              <b>{picked.file.name}</b>
              {picked.seeds && ` · ${picked.seeds.length} seed${picked.seeds.length === 1 ? "" : "s"}`}
            </p>
          )}
        </DropZone>
        {seeder && !picked && (
          <p className="muted" data-testid="seedless-note">
            {seeder.name} makes this pipeline&apos;s runs from its config: no seed file is needed (a file still works: each seed
            row is expanded).
          </p>
        )}
        {picked?.parseError && (
          <p className="bad" role="alert">
            Cannot read {picked.file.name}: {picked.parseError}
          </p>
        )}
        {verification.isPending && <Loading label="Verifying seeds…" />}
        <ErrorMessage error={verification.error} />
        {report && <SeedReportView report={report} />}
        <ErrorMessage error={starting.error} />
        <div className="actions">
          <button
            type="button"
            onClick={() => pipelineId !== null && seeds && verifySeeds({ id: pipelineId, seeds })}
            disabled={pipelineId === null || !seeds || verification.isPending}
          >
            Verify seeds
          </button>
          <button type="button" className="primary" onClick={start} disabled={!canStart}>
            {starting.isPending ? "Starting…" : "Start"}
          </button>
        </div>
      </div>
      <h2>Jobs</h2>
      {jobs.isPending && <Loading />}
      <ErrorMessage error={jobs.error} onRetry={() => void jobs.refetch()} />
      {jobs.data && listed.length === 0 && <p className="muted">No jobs yet.</p>}
      <div className="grid" data-testid="job-list">
        {listed.map((job) => (
          <JobCard key={job.id} initial={job} pipelineName={names.get(job.pipeline_id)} />
        ))}
      </div>
    </section>
  );
}
