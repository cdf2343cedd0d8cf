"""Check every CRM's balance against its ledger; exit 1 if any differs."""

from django.core.management.base import BaseCommand, CommandError

from billing.selectors import wallets_out_of_balance


class Command(BaseCommand):
    help = "Compare each CRM's balance with the sum of its ledger (read-only)."

    def handle(self, *args, **options) -> None:
        wrong = wallets_out_of_balance()
        for wallet in wrong:
            self.stdout.write(
                f"CRM {wallet.crm_id} ({wallet.crm_name}): balance {wallet.balance} "
                f"over {wallet.entry_count} entries, ledger {wallet.ledger_total} "
                f"over {wallet.ledger_count}"
            )
        if wrong:
            raise CommandError(f"{len(wrong)} balance(s) differ from their ledger.")
        self.stdout.write(self.style.SUCCESS("Every balance is its ledger's sum."))
