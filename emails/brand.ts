// Brand settings: one object shared by the portal's pages and, later, every email and SMS.
export interface Brand {
  /** The organisation's name as patients know it. */
  name: string;
  /** Absolute URL or site path of the logo; empty for a text-only header. */
  logoUrl: string;
  /** Main color (buttons, header) as #rrggbb; must keep 4.5:1 contrast with white text. */
  primaryColor: string;
  /** Secondary color for accents, as #rrggbb. */
  accentColor: string;
  /** The support phone number patients already know, shown on every page and message. */
  supportPhone: string;
  /** Legal footer line (company name, address). */
  legalFooter: string;
}

export const defaultBrand: Brand = {
  name: 'Harbor Health',
  logoUrl: '/brand/logo.svg',
  primaryColor: '#0b5cad',
  accentColor: '#0f7b6c',
  supportPhone: '+1 (555) 010-0100',
  legalFooter: 'Harbor Health Telemedicine, P.C. · 100 Example Street, Springfield, USA',
};
