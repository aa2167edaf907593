"""Reports about models and images: inspect (a model), size (an image, with the budget gate),
manifest (every input and setting of an image)."""
