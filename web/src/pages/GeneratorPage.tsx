/** The Generator page. */
export function GeneratorPage() {
  return (
    <section>
      <h1>Generator</h1>
    </section>
  );
}
