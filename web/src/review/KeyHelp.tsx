/** The list of review keys, shown by `?`. */
import { REVIEW_KEYS } from "./keyboard";

/** The keys dialog; `onClose` hides it. */
export function KeyHelp({ onClose }: { onClose: () => void }) {
  return (
    <div className="modal-backdrop" onClick={onClose}>
      <div
        className="modal"
        role="dialog"
        aria-modal="true"
        aria-labelledby="review-keys-title"
        data-testid="review-keys"
        onClick={(e) => e.stopPropagation()}
      >
        <h2 id="review-keys-title">Review keys</h2>
        <table>
          <tbody>
            {REVIEW_KEYS.map(({ key, label }) => (
              <tr key={key}>
                <td>
                  <kbd className="kbd">{key}</kbd>
                </td>
                <td>{label}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <div className="actions">
          <button type="button" onClick={onClose}>
            Close
          </button>
        </div>
      </div>
    </div>
  );
}
