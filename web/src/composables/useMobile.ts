// Phones (issue #22): below 768 px the pages change shape — a bottom tab bar instead of the side
// menu, card lists instead of tables, dialogs and drawers full-screen. One media query, shared.
import { readonly, ref, type Ref } from "vue";

/** Element Plus' own `xs` breakpoint: below 768 px. Keep in step with the CSS in App.vue. */
export const MOBILE_QUERY = "(max-width: 767.98px)";

let mobile: Ref<boolean> | undefined;

/** True while the window is phone-sized; follows rotation and resizing. */
export function useMobile(): Readonly<Ref<boolean>> {
  if (!mobile) {
    const query = window.matchMedia(MOBILE_QUERY);
    const state = ref(query.matches);
    query.addEventListener("change", (event) => { state.value = event.matches; });
    mobile = state;
  }
  return readonly(mobile);
}
