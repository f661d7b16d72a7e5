/** The visual pipeline editor. UI-B replaces this first version. */
export function EditorPage() {
  return (
    <section>
      <h1>Pipeline editor</h1>
    </section>
  );
}
