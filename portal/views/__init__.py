"""The portal's pages, by what they are about: ``crms`` (the list, creating,
entering and connecting CRMs), ``find`` (Find my CRMs) and ``deletion`` (deleting a
CRM and exporting its data)."""
