import {
  type CSSVariablesResolver,
  createTheme,
  type MantineColorsTuple,
  type MantineThemeOverride,
} from '@mantine/core';

// Petrol: calm and trustworthy, and shade 7 carries white text at 5.5:1.
const brand: MantineColorsTuple = [
  '#e8f6f5',
  '#cdebe8',
  '#9dd8d2',
  '#68c3bb',
  '#3eb0a7',
  '#23a096',
  '#12897f',
  '#0f766e',
  '#0b5f58',
  '#074842',
];

/** Labels Mantine renders without text of its own (close buttons); they follow the UI language. */
export interface ThemeLabels {
  close: string;
  showPassword: string;
}

export function createAppTheme(labels: ThemeLabels): MantineThemeOverride {
  return createTheme({
    primaryColor: 'brand',
    colors: { brand },
    primaryShade: { light: 7, dark: 7 },
    defaultRadius: 'md',
    cursorType: 'pointer',
    fontFamily:
      'Inter, ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif, "Apple Color Emoji", "Segoe UI Emoji"',
    headings: {
      fontWeight: '650',
      sizes: {
        h1: { fontSize: '1.75rem', lineHeight: '1.25' },
        h2: { fontSize: '1.25rem', lineHeight: '1.35' },
        h3: { fontSize: '1.05rem', lineHeight: '1.4' },
      },
    },
    components: {
      Paper: { defaultProps: { withBorder: true, radius: 'md' } },
      Modal: {
        defaultProps: { centered: true, radius: 'md', closeButtonProps: { 'aria-label': labels.close } },
        styles: { title: { fontWeight: 650, fontSize: 'var(--mantine-font-size-lg)' } },
      },
      // A <header> inside the dialog would count as a second page banner for assistive technology.
      ModalHeader: { defaultProps: { component: 'div' } },
      // Keyboard users can reveal what they typed too (Mantine leaves the toggle out of the tab order).
      PasswordInput: {
        defaultProps: {
          visibilityToggleFocusable: true,
          visibilityToggleButtonProps: { 'aria-label': labels.showPassword },
        },
      },
      Notification: { defaultProps: { closeButtonProps: { 'aria-label': labels.close } } },
      Drawer: { defaultProps: { closeButtonProps: { 'aria-label': labels.close } } },
      // The placeholder is a role="presentation" element with tabindex inside role="menu", which axe
      // rejects (aria-required-children); without it the first item gets the focus, as WAI-ARIA advises.
      Menu: { defaultProps: { withInitialFocusPlaceholder: false } },
      Table: { defaultProps: { verticalSpacing: 'sm', highlightOnHover: true } },
    },
  });
}

/**
 * Mantine's defaults for secondary text, placeholders, errors, red buttons and the text of light
 * badges and alerts fall below the 4.5:1 contrast WCAG 2.1 AA asks for; these lift them while
 * keeping the calm look. Values were measured against the backgrounds they sit on.
 */
export const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': 'var(--mantine-color-gray-7)',
    '--mantine-color-placeholder': 'var(--mantine-color-gray-6)',
    '--mantine-color-error': '#b02525',
    '--mantine-color-body': '#ffffff',
    '--mantine-color-red-filled': '#c92a2a',
    '--mantine-color-red-filled-hover': '#a61e1e',
    '--mantine-color-red-text': '#b02525',
    '--mantine-color-red-light-color': '#b02525',
    '--mantine-color-teal-light-color': '#05664a',
    '--mantine-color-green-light-color': '#1f6b2c',
    '--mantine-color-lime-light-color': '#3f6212',
    '--mantine-color-yellow-light-color': '#7c4a03',
    '--mantine-color-orange-light-color': '#a33c08',
  },
  dark: {
    '--mantine-color-dimmed': 'var(--mantine-color-dark-1)',
    '--mantine-color-placeholder': 'var(--mantine-color-dark-2)',
    '--mantine-color-error': 'var(--mantine-color-red-4)',
    '--mantine-color-anchor': 'var(--mantine-color-brand-3)',
    '--mantine-color-red-filled': '#c92a2a',
    '--mantine-color-red-filled-hover': '#a61e1e',
  },
});
