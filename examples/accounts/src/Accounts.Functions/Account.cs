namespace Accounts.Functions;

public sealed record Account(string Username, string FullName, string Email, string Country, decimal Balance, DateOnly OpenedOn);

public static class AccountsSchema
{
    public const string CreateTable = """
        CREATE TABLE IF NOT EXISTS accounts (
            id INT AUTO_INCREMENT PRIMARY KEY,
            username VARCHAR(64) NOT NULL UNIQUE,
            full_name VARCHAR(128) NOT NULL,
            email VARCHAR(254) NOT NULL,
            country CHAR(2) NOT NULL,
            balance DECIMAL(12, 2) NOT NULL,
            opened_on DATE NOT NULL
        ) CHARACTER SET utf8mb4
        """;

    /// <summary>The sample set SeedDb inserts: varied names, countries and balances, including non-ASCII text.</summary>
    public static IReadOnlyList<Account> SampleAccounts { get; } =
    [
        new("ada", "Ada Lovelace", "ada@example.com", "GB", 1843.10m, new DateOnly(2019, 12, 10)),
        new("grace", "Grace Hopper", "grace@example.com", "US", 1906.12m, new DateOnly(2020, 1, 9)),
        new("alan", "Alan Turing", "alan@example.com", "GB", 1912.06m, new DateOnly(2020, 6, 23)),
        new("katherine", "Katherine Johnson", "katherine@example.com", "US", 1918.08m, new DateOnly(2021, 8, 26)),
        new("edsger", "Edsger W. Dijkstra", "edsger@example.com", "NL", 1930.05m, new DateOnly(2021, 5, 11)),
        new("margaret", "Margaret Hamilton", "margaret@example.com", "US", 1936.08m, new DateOnly(2022, 8, 17)),
        new("tim", "Tim Berners-Lee", "tim@example.com", "GB", 1955.06m, new DateOnly(2022, 6, 8)),
        new("barbara", "Barbara Liskov", "barbara@example.com", "US", 1939.11m, new DateOnly(2023, 11, 7)),
        new("linus", "Linus Torvalds", "linus@example.com", "FI", 1969.12m, new DateOnly(2023, 12, 28)),
        new("jose", "José Valim", "jose@example.com", "BR", 1986.01m, new DateOnly(2024, 1, 1)),
        new("ingrid", "Ingrid Daubechies", "ingrid@example.com", "BE", 1954.08m, new DateOnly(2024, 8, 17)),
        new("yukihiro", "Yukihiro Matsumoto", "matz@example.com", "JP", 1965.04m, new DateOnly(2025, 4, 14)),
    ];
}
