// One page's loading / error / data state around an API call: the error is the problem's detail.
import { ref, type Ref } from "vue";
import { errorText } from "./problem";

export interface Loaded<T> {
  data: Ref<T | null>;
  loading: Ref<boolean>;
  error: Ref<string>;
  run: () => Promise<void>;
}

export function useLoad<T>(fetcher: () => Promise<T>): Loaded<T> {
  const data = ref<T | null>(null) as Ref<T | null>;
  const loading = ref(false);
  const error = ref("");
  let generation = 0;
  async function run(): Promise<void> {
    const mine = ++generation; // a slower, older answer must not overwrite a newer one
    loading.value = true;
    try {
      const value = await fetcher();
      if (mine !== generation) return;
      data.value = value;
      error.value = "";
    } catch (exc) {
      if (mine === generation) error.value = errorText(exc, "加载失败");
    } finally {
      if (mine === generation) loading.value = false;
    }
  }
  return { data, loading, error, run };
}
