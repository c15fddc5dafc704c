"""Services: transactions over the domain. Keyword-only, session first, frozen views out."""
