// The public pages and what each must show, with or without JavaScript.
export interface PublicPage {
  path: string;
  title: RegExp;
  heading: string;
  content: string[];
}

export const PUBLIC_PAGES: PublicPage[] = [
  {
    path: "/",
    title: /^Ops Intel — the operations workspace/,
    heading: "Every site, every issue, every customer message. One place.",
    content: ["What Ops Intel does", "Who it is for", "Issues that get resolved"],
  },
  {
    path: "/pricing",
    title: /^Pricing · Ops Intel$/,
    heading: "Plans and pricing",
    content: ["Free", "Team", "Business", "£29", "£99", "Up to 15 members", "10,000 AI requests a month"],
  },
  {
    path: "/security",
    title: /^Security · Ops Intel$/,
    heading: "Security at Ops Intel",
    content: [
      "TLS 1.2 or newer",
      "row-level security",
      "Secure, HttpOnly, SameSite=Lax",
      "within 3 business days",
      "security@opsintel.test",
      "Last updated",
    ],
  },
  {
    path: "/security/testing",
    title: /^How we test our security commitments · Ops Intel$/,
    heading: "How we test our security commitments",
    content: ["Encrypted in transit", "Four roles, checked everywhere", "run before any change is released"],
  },
  {
    path: "/security/disclosure",
    title: /^Vulnerability disclosure policy · Ops Intel$/,
    heading: "Vulnerability disclosure policy",
    content: ["How to report", "within 3 business days", "Safe harbour", "security@opsintel.test"],
  },
  {
    path: "/privacy",
    title: /^Privacy notice · Ops Intel$/,
    heading: "Privacy notice",
    content: ["What we process", "Your rights", "Information Commissioner"],
  },
  {
    path: "/terms",
    title: /^Terms of service · Ops Intel$/,
    heading: "Terms of service",
    content: ["Acceptable use", "Plans and payment", "Governing law"],
  },
];
