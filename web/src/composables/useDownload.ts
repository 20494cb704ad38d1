// A file download behind a button: which one is under way (its button shows loading — a PDF may
// take seconds while the server renders it), and a failure shown as the problem's detail (e.g. a
// 503 "服务器未安装 LibreOffice…") instead of breaking the page.
import { readonly, ref, type Ref } from "vue";
import { download, notifyError } from "../api/http";

export function useDownload(): { busy: Readonly<Ref<string>>; fetchFile: (path: string, filename: string) => Promise<void> } {
  const busy = ref("");
  async function fetchFile(path: string, filename: string): Promise<void> {
    if (busy.value === path) return; // a second click while the first is still on its way
    busy.value = path;
    try {
      await download(path, filename);
    } catch (exc) {
      notifyError(exc, "下载失败");
    } finally {
      if (busy.value === path) busy.value = "";
    }
  }
  return { busy: readonly(busy), fetchFile };
}
