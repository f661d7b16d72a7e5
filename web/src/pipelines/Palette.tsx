/** The palette: every block from `/api/blocks`, grouped by category, with a search. A block is
 * dragged onto the canvas (HTML5 drag and drop) or added with its button. */
import { useState, type DragEvent } from "react";
import type { BlockInfo } from "../api/schema";

/** The drag data type that carries a block type. */
export const BLOCK_DRAG_TYPE = "application/x-blockforge-block";

/** The block type of the drag in progress, for browsers (and scripted drags) whose drop event
 * does not carry the data. */
let dragged: string | null = null;

/** The block type a drop carries, if any. */
export function droppedBlockType(event: DragEvent): string | null {
  const data = event.dataTransfer?.getData(BLOCK_DRAG_TYPE) || event.dataTransfer?.getData("text/plain");
  return data || dragged;
}

/** Whether a drag carries a block. */
export function isBlockDrag(event: DragEvent): boolean {
  return dragged !== null || Array.from(event.dataTransfer?.types ?? []).includes(BLOCK_DRAG_TYPE);
}

function matches(block: BlockInfo, search: string): boolean {
  const needle = search.trim().toLowerCase();
  if (!needle) return true;
  return [block.type, block.name, block.description, block.category].some((text) => text.toLowerCase().includes(needle));
}

/** Props of {@link Palette}. */
export interface PaletteProps {
  blocks: BlockInfo[];
  onAdd: (blockType: string) => void;
}

/** The palette. */
export function Palette({ blocks, onAdd }: PaletteProps) {
  const [search, setSearch] = useState("");
  const shown = blocks.filter((block) => matches(block, search));
  const categories = [...new Set(shown.map((block) => block.category))].sort();
  return (
    <aside className="palette" data-testid="palette" aria-label="Blocks">
      <label>
        Search blocks
        <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="name, category…" />
      </label>
      {shown.length === 0 && <p className="muted">No block matches “{search}”.</p>}
      {categories.map((category) => (
        <section key={category} aria-label={category}>
          <h3>{category}</h3>
          <ul>
            {shown
              .filter((block) => block.category === category)
              .map((block) => (
                <li
                  key={block.type}
                  className="palette-item"
                  data-testid={`palette-item-${block.type}`}
                  draggable
                  title={block.description}
                  onDragStart={(event) => {
                    dragged = block.type;
                    event.dataTransfer.setData(BLOCK_DRAG_TYPE, block.type);
                    event.dataTransfer.setData("text/plain", block.type);
                    event.dataTransfer.effectAllowed = "copy";
                  }}
                  onDragEnd={() => {
                    dragged = null;
                  }}
                >
                  <span className="palette-name">
                    <strong>{block.name}</strong>
                    {block.name !== block.type && <code>{block.type}</code>}
                  </span>
                  <button type="button" aria-label={`Add ${block.name}`} onClick={() => onAdd(block.type)}>
                    Add
                  </button>
                </li>
              ))}
          </ul>
        </section>
      ))}
    </aside>
  );
}

/** Forgets the drag in progress (after a drop). */
export function endBlockDrag(): void {
  dragged = null;
}
