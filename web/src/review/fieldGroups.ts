/** Which of a record's fields the review shows first, second or not at all. */
import type { FieldOrder } from "../api/schema";

/** The three groups, in display order. */
export const FIELD_GROUP_NAMES = ["primary", "secondary", "hidden"] as const;

/** A group name. */
export type FieldGroupName = (typeof FIELD_GROUP_NAMES)[number];

/**
 * `order` when it lists a field; `null` for none or an empty one (the server's default
 * `validation_config` is an empty field order, which means "not configured yet").
 */
export function configuredOrder(order: FieldOrder | null | undefined): FieldOrder | null {
  if (!order) return null;
  return order.primary.length + order.secondary.length + order.hidden.length > 0 ? order : null;
}

/**
 * Splits `fields` by the pipeline's field order. Listed fields keep the configured order;
 * fields it does not list are secondary, after the listed ones. Without a field order the
 * fields the pipeline produced are primary and those copied from the seed (`seedFields`)
 * secondary.
 */
export function groupFields(fields: string[], given: FieldOrder | null | undefined, seedFields: string[] = []): FieldOrder {
  const order = configuredOrder(given);
  if (!order) {
    const fromSeed = new Set(seedFields);
    return { primary: fields.filter((f) => !fromSeed.has(f)), secondary: fields.filter((f) => fromSeed.has(f)), hidden: [] };
  }
  const present = new Set(fields);
  const listed = new Set([...order.primary, ...order.secondary, ...order.hidden]);
  return {
    primary: order.primary.filter((f) => present.has(f)),
    secondary: [...order.secondary.filter((f) => present.has(f)), ...fields.filter((f) => !listed.has(f))],
    hidden: order.hidden.filter((f) => present.has(f)),
  };
}

/** The group a field is in under `order` (unlisted: secondary, or primary without an order). */
export function groupOf(field: string, given: FieldOrder | null | undefined): FieldGroupName {
  const order = configuredOrder(given);
  if (!order) return "primary";
  if (order.primary.includes(field)) return "primary";
  if (order.hidden.includes(field)) return "hidden";
  return "secondary";
}

/** `order` with `field` moved to `group` (at the end of it). */
export function assignField(given: FieldOrder | null | undefined, fields: string[], field: string, group: FieldGroupName): FieldOrder {
  const order = configuredOrder(given);
  const base: FieldOrder = order
    ? { primary: [...order.primary], secondary: [...order.secondary], hidden: [...order.hidden] }
    : { primary: [...fields], secondary: [], hidden: [] };
  for (const name of FIELD_GROUP_NAMES) base[name] = base[name].filter((f) => f !== field);
  base[group].push(field);
  return base;
}
