/** The pipelines list and template gallery. UI-B replaces this first version. */
export function PipelinesPage() {
  return (
    <section>
      <h1>Pipelines</h1>
    </section>
  );
}
