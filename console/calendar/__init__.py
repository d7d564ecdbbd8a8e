"""The statutory calendar screen (法定节假日): this year's and next year's holidays and 调休,
and the overrides administrators and centre heads enter for a year not published yet."""
