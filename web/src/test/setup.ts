import "@testing-library/jest-dom/vitest";
import { cleanup, configure } from "@testing-library/react";
import { afterEach } from "vitest";

// jsdom does no layout: CodeMirror measures text ranges, so give ranges empty geometry.
function emptyRects(): DOMRectList {
  const rects: DOMRect[] = [];
  return Object.assign(rects, { item: (index: number) => rects[index] ?? null }) as unknown as DOMRectList;
}
if (typeof Range !== "undefined") {
  if (!Range.prototype.getClientRects) Range.prototype.getClientRects = emptyRects;
  if (!Range.prototype.getBoundingClientRect) Range.prototype.getBoundingClientRect = () => new DOMRect(0, 0, 0, 0);
}

// `waitFor` and `findBy*` poll until their condition holds; on a loaded machine that can take
// seconds, so give up only after 30 s (the default, 1 s, fails tests that are merely slow).
configure({ asyncUtilTimeout: 30_000 });

afterEach(() => {
  cleanup();
  localStorage.clear();
});
