"""The knowledge base (Custom AI training, AI Enterprise): documents, pages and
Q&A pairs the owner teaches the assistants, pushed to 4calls as chunks."""
