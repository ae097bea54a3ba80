// "Try a sample": the sample documents served with the page (static/samples/), read with one click.

import { t } from "./i18n.js";
import { showLocalError } from "./progress.js";
import { $ } from "./shared.js";

/** Wire the sample buttons: fetch the sample, take it as the file (its language too), and submit. */
export function initSamples({ setFile, submit }) {
  for (const button of document.querySelectorAll("#samples [data-sample]")) {
    button.addEventListener("click", async () => {
      const name = button.dataset.sample;
      $("file-info").textContent = t("sampleLoading");
      try {
        const res = await fetch(`/static/samples/${encodeURIComponent(name)}`);
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const blob = await res.blob();
        await setFile(new File([blob], name, { type: blob.type || "image/png" }));
      } catch (err) {
        $("file-info").textContent = "";
        showLocalError(t("sampleFailed", { why: String(err?.message || err) }));
        return;
      }
      // the sample's language, where this service reads it (not remembered as the user's choice)
      const lang = $("lang");
      if (Array.from(lang.options).some((o) => o.value === button.dataset.lang)) lang.value = button.dataset.lang;
      submit();
    });
  }
}
