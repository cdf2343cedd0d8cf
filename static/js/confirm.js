// <form data-confirm="Question?">: asks before submitting, and submits only on OK.
// Kept out of the markup (no onsubmit="") so the Content-Security-Policy can refuse
// every inline handler.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form.dataset && form.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});
