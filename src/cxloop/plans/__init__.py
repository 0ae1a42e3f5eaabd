"""Action plans (initiatives) with measured impact, and the CX plan with its gaps."""
