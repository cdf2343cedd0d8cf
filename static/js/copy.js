// Copy buttons: <button class="copy" data-copy="text">. Says "Copied" for a moment.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button.copy");
  if (!button) return;
  const label = button.textContent;
  try {
    await navigator.clipboard.writeText(button.dataset.copy);
    button.textContent = "✓";
  } catch (error) {
    const range = document.createRange();
    range.selectNodeContents(button.previousElementSibling || button);
    window.getSelection().removeAllRanges();
    window.getSelection().addRange(range);
  }
  setTimeout(() => { button.textContent = label; }, 1500);
});
