"""Leads inbox: every lead in one list and board, its pipeline status, AI qualification and follow-up."""
