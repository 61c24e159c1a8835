/**
 * The kinds of value that can carry an attack from content an agent read into the arguments of a
 * write. A kind describes what the value looks like; its match class decides what it is compared
 * with, so that a phone number in an e-mail and the same digits typed into an `account` argument
 * still meet.
 */
export type ValueKind =
  'iban' | 'card_number' | 'routing_number' | 'account_number' | 'phone' | 'email' | 'url' | 'domain' | 'path' | 'amount' | 'token';

export const VALUE_KINDS: readonly ValueKind[] = [
  'iban',
  'card_number',
  'routing_number',
  'account_number',
  'phone',
  'email',
  'url',
  'domain',
  'path',
  'amount',
  'token',
];

/** What a value is compared with: every run of digits meets every other, whatever it was called. */
export type MatchClass = 'digits' | 'iban' | 'email' | 'url' | 'domain' | 'path' | 'amount' | 'token';

export function matchClassOf(kind: ValueKind): MatchClass {
  switch (kind) {
    case 'card_number':
    case 'routing_number':
    case 'account_number':
    case 'phone':
      return 'digits';
    default:
      return kind;
  }
}

/**
 * One value found in text. `raw` is the matched text after Unicode clean-up and defanging (so it
 * may differ from the original bytes); `normalized` is the form that is compared. `related` are
 * other forms the value answers to, most specific first (see RelatedValue).
 */
export interface ExtractedValue {
  readonly kind: ValueKind;
  readonly raw: string;
  readonly normalized: string;
  readonly related: readonly RelatedValue[];
}

/**
 * Another form of a value. An `equivalent` form names the same thing written another way (a long
 * number's last ten digits: a phone number with or without its country code); a `broader` one
 * names what contains it (an address's domain, a path's last segments), and only counts when
 * neither the value nor an equivalent form was ever seen.
 */
export interface RelatedValue {
  readonly matchClass: MatchClass;
  readonly normalized: string;
  readonly scope: 'equivalent' | 'broader';
}
