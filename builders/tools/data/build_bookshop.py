"""Rebuild bookshop.sql: a small, made-up bookshop database for the SQL tools.

Authors, titles and first-publication years are public facts about classic books; prices, stock,
customers and orders are invented here with a fixed seed. Written for toolmint, CC0.

    python build_bookshop.py > bookshop.sql
"""

import random

AUTHORS = [  # id, name, country, born
    (1, "Jane Austen", "GB", 1775), (2, "Charles Dickens", "GB", 1812), (3, "Mark Twain", "US", 1835),
    (4, "Leo Tolstoy", "RU", 1828), (5, "Fyodor Dostoevsky", "RU", 1821), (6, "Victor Hugo", "FR", 1802),
    (7, "Jules Verne", "FR", 1828), (8, "Mary Shelley", "GB", 1797), (9, "Herman Melville", "US", 1819),
    (10, "Arthur Conan Doyle", "GB", 1859), (11, "H. G. Wells", "GB", 1866), (12, "Franz Kafka", "CZ", 1883),
]
BOOKS = [  # title, author, year, genre
    ("Pride and Prejudice", 1, 1813, "romance"), ("Emma", 1, 1815, "romance"), ("Persuasion", 1, 1817, "romance"),
    ("Oliver Twist", 2, 1838, "novel"), ("A Christmas Carol", 2, 1843, "novel"), ("Great Expectations", 2, 1861, "novel"),
    ("A Tale of Two Cities", 2, 1859, "historical"), ("The Adventures of Tom Sawyer", 3, 1876, "adventure"),
    ("Adventures of Huckleberry Finn", 3, 1884, "adventure"), ("War and Peace", 4, 1869, "historical"),
    ("Anna Karenina", 4, 1878, "novel"), ("Crime and Punishment", 5, 1866, "novel"),
    ("The Brothers Karamazov", 5, 1880, "novel"), ("Les Miserables", 6, 1862, "historical"),
    ("The Hunchback of Notre-Dame", 6, 1831, "historical"), ("Twenty Thousand Leagues Under the Seas", 7, 1870, "science fiction"),
    ("Around the World in Eighty Days", 7, 1872, "adventure"), ("Journey to the Center of the Earth", 7, 1864, "science fiction"),
    ("Frankenstein", 8, 1818, "horror"), ("Moby-Dick", 9, 1851, "adventure"),
    ("A Study in Scarlet", 10, 1887, "mystery"), ("The Hound of the Baskervilles", 10, 1902, "mystery"),
    ("The Sign of the Four", 10, 1890, "mystery"), ("The Time Machine", 11, 1895, "science fiction"),
    ("The War of the Worlds", 11, 1898, "science fiction"), ("The Invisible Man", 11, 1897, "science fiction"),
    ("The Metamorphosis", 12, 1915, "novel"), ("The Trial", 12, 1925, "novel"),
]
FIRST = ["Ana", "Ben", "Chloe", "Dev", "Elif", "Farah", "Goran", "Hana", "Ivan", "Jonas", "Kemi", "Luca",
         "Mei", "Nils", "Omar", "Priya", "Rosa", "Sven", "Tariq", "Uma"]
LAST = ["Silva", "Novak", "Okafor", "Tanaka", "Muller", "Rossi", "Khan", "Berg", "Dubois", "Garcia"]
CITIES = [("Lisbon", "PT"), ("Berlin", "DE"), ("Lagos", "NG"), ("Osaka", "JP"), ("Toronto", "CA"),
          ("Madrid", "ES"), ("Mumbai", "IN"), ("Oslo", "NO"), ("Lyon", "FR"), ("Chicago", "US")]


def q(v):
    return "NULL" if v is None else str(v) if isinstance(v, (int, float)) else "'" + str(v).replace("'", "''") + "'"


def main():
    rng = random.Random(4)
    out = ["-- bookshop.sql: made by build_bookshop.py (seed 4); CC0.",
           "CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL, country TEXT NOT NULL, born INTEGER);",
           "CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT NOT NULL, author_id INTEGER NOT NULL REFERENCES authors(id), "
           "year INTEGER, genre TEXT, price REAL NOT NULL, stock INTEGER NOT NULL);",
           "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT, country TEXT, joined TEXT);",
           "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id), "
           "book_id INTEGER NOT NULL REFERENCES books(id), quantity INTEGER NOT NULL, order_date TEXT NOT NULL);"]
    for a in AUTHORS:
        out.append(f"INSERT INTO authors VALUES ({', '.join(map(q, a))});")
    for i, (title, author, year, genre) in enumerate(BOOKS, 1):
        price = round(rng.choice([6.99, 7.99, 8.99, 9.99, 11.99, 12.99, 14.99]), 2)
        out.append(f"INSERT INTO books VALUES ({', '.join(map(q, (i, title, author, year, genre, price, rng.randint(0, 40))))});")
    for i in range(1, 31):
        city, country = rng.choice(CITIES)
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        joined = f"202{rng.randint(0, 4)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        out.append(f"INSERT INTO customers VALUES ({', '.join(map(q, (i, name, city, country, joined)))});")
    for i in range(1, 121):
        date = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        row = (i, rng.randint(1, 30), rng.randint(1, len(BOOKS)), rng.choice([1, 1, 1, 2, 2, 3]), date)
        out.append(f"INSERT INTO orders VALUES ({', '.join(map(q, row))});")
    print("\n".join(out))


if __name__ == "__main__":
    main()
