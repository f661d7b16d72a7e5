/** The Plugins page. */
export function PluginsPage() {
  return (
    <section>
      <h1>Plugins</h1>
    </section>
  );
}
