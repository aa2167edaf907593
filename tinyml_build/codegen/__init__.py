"""Generated sources: each module renders one kind of file from a template in ../templates/."""
