"""Meeting-minute drafts in the secretariat's house style, and the action items they create."""
