"""ordertrack: live order tracking, status machines and process design (Reflex app)."""
