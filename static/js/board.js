// The deals board: drag a card to another column (or onto Won or Lost), or use the
// card's Move menu, and the deal moves without reloading the page. The move is the
// same POST the Move menu sends without JavaScript, asking for JSON: the server
// answers with the two changed columns' counts and sums, which are put in place.
// Anything refused puts the card back and says why.
(function () {
  const board = document.querySelector("[data-board]");
  if (!board) return;
  const notice = document.querySelector("[data-board-status]");
  let dragged = null;

  function csrfToken(card) {
    const input =
      card.querySelector("input[name=csrfmiddlewaretoken]") ||
      document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    try {
      return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
    } catch (error) {
      return "";
    }
  }

  function say(text, isError) {
    if (!notice) return;
    notice.textContent = text;
    notice.classList.toggle("flash-error", Boolean(isError));
    notice.classList.toggle("flash", true);
  }

  function putTotals(totals) {
    totals.forEach((total) => {
      document.querySelectorAll(`[data-count-of="${total.status_id}"]`).forEach((node) => {
        node.textContent = total.count_text;
      });
      document.querySelectorAll(`[data-sum-of="${total.status_id}"]`).forEach((node) => {
        node.textContent = total.amount_text;
      });
    });
  }

  async function move(card, statusId) {
    const column = card.closest(".board-column");
    if (!card.dataset.moveUrl || (column && column.dataset.status === statusId)) return;
    const home = { parent: card.parentNode, next: card.nextSibling };
    const list = document.querySelector(`[data-cards-of="${statusId}"]`);
    if (list) list.prepend(card);
    else card.hidden = true;
    card.classList.add("is-saving");
    try {
      const response = await fetch(card.dataset.moveUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          Accept: "application/json",
          "Content-Type": "application/x-www-form-urlencoded",
          "X-CSRFToken": csrfToken(card),
        },
        body: new URLSearchParams({ status_id: statusId }),
      });
      const data = await response.json().catch(() => ({}));
      if (!response.ok || !data.totals) throw new Error(data.error || board.dataset.moveFailed);
      putTotals(data.totals);
      const select = card.querySelector("select[name=status_id]");
      if (select) select.value = String(data.status_id);
      say(data.message, false);
    } catch (error) {
      home.parent.insertBefore(card, home.next);
      card.hidden = false;
      say(error.message || board.dataset.moveFailed, true);
    } finally {
      card.classList.remove("is-saving");
    }
  }

  function dropTarget(node) {
    const target = node && node.closest ? node.closest(".board-column, .board-drop") : null;
    return target && target.dataset.status ? target : null;
  }

  function clearTargets() {
    document.querySelectorAll(".is-drop-target").forEach((node) => node.classList.remove("is-drop-target"));
  }

  document.addEventListener("dragstart", (event) => {
    const card = event.target.closest ? event.target.closest(".board-card[draggable=true]") : null;
    if (!card) return;
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.deal);
    card.classList.add("is-dragging");
    document.body.classList.add("board-dragging");
  });

  document.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("is-dragging");
    dragged = null;
    clearTargets();
    document.body.classList.remove("board-dragging");
  });

  document.addEventListener("dragover", (event) => {
    if (!dragged) return;
    const target = dropTarget(event.target);
    if (!target) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (!target.classList.contains("is-drop-target")) {
      clearTargets();
      target.classList.add("is-drop-target");
    }
  });

  document.addEventListener("drop", (event) => {
    if (!dragged) return;
    const target = dropTarget(event.target);
    if (!target) return;
    event.preventDefault();
    const card = dragged;
    clearTargets();
    move(card, target.dataset.status);
  });

  // The Move menu: the same move, without leaving the page; the keyboard stays on
  // the card, wherever it went.
  document.addEventListener("submit", (event) => {
    const form = event.target.closest(".board-move-form");
    const card = form ? form.closest(".board-card[data-move-url]") : null;
    if (!card || !board.contains(card)) return;
    event.preventDefault();
    const menu = form.closest("details");
    if (menu) menu.open = false;
    const statusId = form.querySelector("select[name=status_id]").value;
    move(card, statusId).then(() => {
      const summary = card.querySelector("summary");
      if (summary) summary.focus();
    });
  });

  // "Show more" after a move: a card already on the board is not shown twice.
  document.addEventListener("htmx:load", (event) => {
    const card = event.target;
    if (!card.matches || !card.matches(".board-card")) return;
    const same = document.querySelectorAll(`.board-card[data-deal="${card.dataset.deal}"]`);
    if (same.length > 1) card.remove();
  });
})();
