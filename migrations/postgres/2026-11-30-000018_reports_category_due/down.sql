DROP INDEX reports_category_due;
