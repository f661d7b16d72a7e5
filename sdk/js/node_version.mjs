// The Node.js the JavaScript toolchain needs. componentize-js 0.23 and some of its
// dependencies declare `"node": "^20.19.0 || >=22.12.0"` (they load ES modules with
// `require()`, unflagged from those releases on); an older Node fails deep inside them with
// an error that names neither Node nor its version.

/** The Node.js releases the build runs on, as the toolchain's `engines` field says it. */
export const SUPPORTED_NODE = '^20.19.0 || >=22.12.0';

/**
 * Why Node.js `version` (`process.versions.node`, e.g. `20.18.1`) cannot run the build, or
 * `null` when it can.
 */
export function nodeVersionProblem(version) {
  const [major, minor] = String(version).split('.').map((part) => Number.parseInt(part, 10));
  if (Number.isNaN(major) || Number.isNaN(minor)) return `cannot read the Node.js version ${JSON.stringify(version)}`;
  const supported = (major === 20 && minor >= 19) || (major === 22 && minor >= 12) || major > 22;
  if (supported) return null;
  return `Node.js ${version} cannot build a JavaScript block: componentize-js needs Node.js 20.19 or newer within 20, or 22.12 or newer (${SUPPORTED_NODE}); install one and build again`;
}
