// Drag-and-drop ordering for the shop editor. Without JavaScript (or on touch screens, where
// HTML drag and drop does not fire) the up/down buttons do the same job.
document.addEventListener("DOMContentLoaded", () => {
  const list = document.querySelector("[data-sortable]");
  if (!list) return;
  const status = document.querySelector(".reorder-status");
  let dragged = null;
  let before = "";

  const order = () => [...list.querySelectorAll("[data-product-id]")].map((item) => item.dataset.productId);

  async function save() {
    const ids = order();
    if (ids.join(",") === before) return;
    const body = new URLSearchParams();
    ids.forEach((id) => body.append("product_ids", id));
    body.append("csrf_token", list.dataset.csrf);
    status.textContent = status.dataset.saving || "Saving the new order…";
    try {
      const response = await fetch(list.dataset.reorderUrl, { method: "POST", body, credentials: "same-origin" });
      const result = await response.json();
      status.textContent = response.ok ? status.dataset.saved || "New order saved." : result.error || status.dataset.failed || "Could not save the order.";
    } catch (error) {
      status.textContent = status.dataset.offline || "Could not save the order: check your connection and try again.";
    }
  }

  list.querySelectorAll("[data-product-id]").forEach((item) => {
    item.draggable = true;
    item.addEventListener("dragstart", (event) => {
      dragged = item;
      before = order().join(",");
      item.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", item.dataset.productId);
    });
    item.addEventListener("dragend", () => {
      item.classList.remove("dragging");
      dragged = null;
      save();
    });
  });

  list.addEventListener("dragover", (event) => {
    if (!dragged) return;
    event.preventDefault();
    const target = event.target.closest("[data-product-id]");
    if (!target || target === dragged) return;
    const box = target.getBoundingClientRect();
    const after = event.clientY > box.top + box.height / 2;
    list.insertBefore(dragged, after ? target.nextSibling : target);
  });
  list.addEventListener("drop", (event) => event.preventDefault());
});
