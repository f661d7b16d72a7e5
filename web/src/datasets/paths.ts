/** Where the Datasets page shows a dataset (and one of its versions). */

/** `/datasets?name=NAME[&version=N]`. */
export const datasetPath = (name: string, version?: number) =>
  `/datasets?name=${encodeURIComponent(name)}${version === undefined ? "" : `&version=${version}`}`;
