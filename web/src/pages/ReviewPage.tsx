/** The Review page. */
export function ReviewPage() {
  return (
    <section>
      <h1>Review</h1>
    </section>
  );
}
