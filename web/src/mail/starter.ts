/** The body a new template starts with: one section, a personal greeting, a button. */
export const StarterBody = {
  de: `<mj-section background-color="#ffffff" padding="24px 0">
  <mj-column>
    <mj-text font-size="20px" font-weight="700">Hallo {{ contact.first_name | default: "zusammen" }},</mj-text>
    <mj-text>hier steht Ihr Text.</mj-text>
    <mj-button href="https://example.com">Mehr erfahren</mj-button>
  </mj-column>
</mj-section>`,
  en: `<mj-section background-color="#ffffff" padding="24px 0">
  <mj-column>
    <mj-text font-size="20px" font-weight="700">Hello {{ contact.first_name | default: "there" }},</mj-text>
    <mj-text>Your text goes here.</mj-text>
    <mj-button href="https://example.com">Learn more</mj-button>
  </mj-column>
</mj-section>`,
};
