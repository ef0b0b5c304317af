"""Course forums: boards, threads, nested replies, Q&A, moderation, live updates."""
