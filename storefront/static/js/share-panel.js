// Copy buttons and the phone's own share sheet (Web Share API) for the share panel.
document.addEventListener("DOMContentLoaded", () => {
  const status = document.querySelector(".copy-status");
  document.querySelectorAll("[data-copy]").forEach((button) => {
    button.addEventListener("click", async () => {
      const field = document.querySelector(button.dataset.copy);
      try {
        await navigator.clipboard.writeText(field.value);
      } catch (error) {
        field.select();
        document.execCommand("copy");
      }
      if (status) status.textContent = status.dataset.copied || "Link copied.";
    });
  });
  const share = document.querySelector(".web-share");
  if (share && navigator.share) {
    share.hidden = false;
    share.addEventListener("click", () => {
      navigator.share({ title: share.dataset.title, text: share.dataset.text, url: share.dataset.url }).catch(() => {});
    });
  }
});
