/** The Dashboard page. */
export function DashboardPage() {
  return (
    <section>
      <h1>Dashboard</h1>
    </section>
  );
}
