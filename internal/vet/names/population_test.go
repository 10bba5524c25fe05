package names

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// culture is how one part of the world names people: family names, given
// names, whether the family name comes first, and the nationality.
type culture struct {
	country     string
	familyFirst bool
	family      []string
	given       []string
	// givenParts > 1 joins that many given names (Korean and Chinese
	// two-syllable given names, Spanish double names).
	givenParts int
	// share is the published share of the population of the first
	// family names (census figures, per cent); the others share what is
	// left alike. Nil: every family name alike.
	share []float64
	// common are the commonest whole given names (half of the people of
	// a culture with them get one): real names concentrate on a few, and
	// those collide most.
	common []string
}

// Family-name shares: South Korea (2015 census: Kim 21.5%, Lee 14.7%,
// Park 8.4%...) and China (2020 census: Wang 7.1%, Li 7.0%, Zhang 6.3%...),
// in the order of the culture's family names.
var (
	krShare = []float64{21.5, 14.7, 8.4, 4.7, 4.3, 2.4, 2.1, 2.0, 2.0, 1.7, 1.5, 1.4, 1.4, 1.4, 1.4, 1.4, 1.3, 1.3, 1.1, 1.1}
	cnShare = []float64{7.1, 7.0, 6.3, 5.3, 4.5, 3.1, 2.6, 2.3, 2.0, 1.9, 1.4, 1.3, 1.2, 1.2, 1.1, 1.1, 1.1, 1.0, 0.9, 0.8}
	// popular Korean given names of the birth years 1960-2004 and the
	// commonest Chinese given names (Wei, Fang, Na, Xiuying...)
	krCommon = []string{"Min-jun", "Ji-hoon", "Hyun-woo", "Jun-ho", "Sung-min", "Ji-won", "Seo-yeon", "Ji-eun", "Min-ji", "Su-jin", "Young-ho", "Jung-hoon", "Sang-hoon", "Dong-hyun", "Eun-ji", "Hye-jin", "Mi-kyung", "Young-soo", "Sung-ho", "Jin-young", "Ji-hye", "Kyung-hee", "Min-seo", "Seo-jun", "Ha-eun"}
	cnCommon = []string{"Wei", "Fang", "Na", "Xiuying", "Min", "Jing", "Li", "Jie", "Qiang", "Lei", "Jun", "Yang", "Yong", "Yan", "Tao", "Ming", "Chao", "Xiuzhen", "Hua", "Ping", "Gang", "Guiying", "Jianhua", "Jianguo", "Haiyan"}
)

// pick draws a family name by the culture's shares.
func (c *culture) pick(r *rand.Rand) string {
	if c.share == nil {
		return c.family[r.IntN(len(c.family))]
	}
	total, rest := 0.0, len(c.family)-len(c.share)
	for _, s := range c.share {
		total += s
	}
	restShare := max(0, 100-total) / float64(max(rest, 1))
	x := r.Float64() * (total + restShare*float64(rest))
	for i, s := range c.share {
		if x < s {
			return c.family[i]
		}
		x -= s
	}
	return c.family[len(c.share)+min(rest-1, int(x/restShare))]
}

// cultures are the ordinary names the false-positive population draws
// from: the common names of many countries, Korean and Chinese among
// them (the hard case: the list holds many Korean and Chinese names of
// the same few syllables).
var cultures = []culture{
	{"KR", true, []string{"Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim", "Han", "Oh", "Seo", "Shin", "Kwon", "Hwang", "Ahn", "Song", "Jeon", "Hong", "Yoo", "Ko", "Moon", "Yang", "Son", "Bae", "Baek", "Heo", "Nam", "Noh"},
		[]string{"Min", "Jun", "Seo", "Yeon", "Ji", "Hoon", "Ha", "Eun", "Do", "Yun", "Woo", "Su", "Bin", "Ye", "Jin", "Hyun", "Jae", "Won", "Young", "Ho", "Sung", "Dong", "Hye", "Kyung", "Soo", "Tae", "Yang", "Na", "So", "Hee", "Seung", "Ah", "Jeong", "Mi", "Kyu", "Yeong", "Hwan", "Sik", "Chan", "Gyu"}, 2, krShare, krCommon},
	{"CN", true, []string{"Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma", "Zhu", "Hu", "Guo", "He", "Lin", "Gao", "Luo", "Zheng", "Liang", "Xie", "Song", "Tang", "Deng", "Feng", "Han", "Cao", "Peng"},
		[]string{"Wei", "Fang", "Na", "Min", "Jing", "Li", "Qiang", "Lei", "Jun", "Yang", "Yong", "Yan", "Jie", "Tao", "Ming", "Chao", "Xiu", "Ying", "Hua", "Ping", "Gang", "Hui", "Xin", "Yu", "Hao", "Yi", "Fan", "Zi", "Han", "Xuan", "Lan", "Mei", "Hong", "Bo", "Kai", "Rui", "Ning", "Jian", "Guo", "Dong"}, 2, cnShare, cnCommon},
	{"US", false, []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Hill", "Green", "Adams", "Baker"},
		[]string{"James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William", "Elizabeth", "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen", "Emily", "Daniel", "Matthew", "Ashley", "Andrew", "Olivia", "Ryan", "Megan", "Kevin", "Laura"}, 1, nil, nil},
	{"ES", false, []string{"Garcia", "Rodriguez", "Martinez", "Lopez", "Gonzalez", "Perez", "Sanchez", "Ramirez", "Torres", "Flores", "Rivera", "Gomez", "Diaz", "Morales", "Ortiz", "Castillo", "Jimenez", "Ruiz", "Alvarez", "Romero"},
		[]string{"Jose", "Maria", "Juan", "Carmen", "Luis", "Ana", "Carlos", "Lucia", "Javier", "Isabel", "Miguel", "Elena", "Alejandro", "Sofia", "Diego", "Paula", "Pablo", "Marta", "Sergio", "Laura"}, 1, nil, nil},
	{"DE", false, []string{"Muller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schroder", "Neumann", "Schwarz", "Braun", "Zimmermann", "Kruger"},
		[]string{"Lukas", "Anna", "Jonas", "Lea", "Felix", "Lena", "Maximilian", "Hannah", "Paul", "Mia", "Jan", "Laura", "Tim", "Julia", "Niklas", "Sophie", "Leon", "Marie", "Tobias", "Katharina"}, 1, nil, nil},
	{"FR", false, []string{"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier"},
		[]string{"Jean", "Marie", "Pierre", "Camille", "Louis", "Chloe", "Lucas", "Manon", "Hugo", "Ines", "Nicolas", "Julie", "Antoine", "Claire", "Mathieu", "Amelie", "Julien", "Celine", "Thomas", "Aurelie"}, 1, nil, nil},
	{"RU", false, []string{"Ivanov", "Smirnov", "Kuznetsov", "Popov", "Vasiliev", "Petrov", "Sokolov", "Mikhailov", "Novikov", "Fedorov", "Morozov", "Volkov", "Alekseev", "Lebedev", "Semenov", "Egorov", "Pavlov", "Kozlov", "Stepanov", "Nikolaev"},
		[]string{"Alexander", "Anastasia", "Dmitry", "Maria", "Maxim", "Daria", "Sergey", "Elena", "Andrey", "Olga", "Ivan", "Tatiana", "Mikhail", "Natalia", "Nikita", "Irina", "Artem", "Ekaterina", "Pavel", "Svetlana"}, 1, nil, nil},
	{"IN", false, []string{"Sharma", "Verma", "Gupta", "Singh", "Kumar", "Patel", "Reddy", "Iyer", "Nair", "Das", "Mehta", "Joshi", "Rao", "Chopra", "Malhotra", "Agarwal", "Banerjee", "Mukherjee", "Pillai", "Desai"},
		[]string{"Aarav", "Priya", "Vivaan", "Ananya", "Aditya", "Diya", "Arjun", "Isha", "Rohan", "Kavya", "Rahul", "Sneha", "Vikram", "Pooja", "Karan", "Neha", "Siddharth", "Riya", "Amit", "Anjali"}, 1, nil, nil},
	{"EG", false, []string{"Hassan", "Ali", "Ibrahim", "Mahmoud", "Abdelrahman", "Mostafa", "Youssef", "Saleh", "Khalil", "Nasser", "Farouk", "Mansour", "Hamdy", "Fathy", "Sayed", "Kamal", "Shawky", "Ezzat", "Gaber", "Tawfik"},
		[]string{"Ahmed", "Fatma", "Omar", "Nour", "Karim", "Mariam", "Tarek", "Salma", "Amr", "Yasmin", "Hany", "Dina", "Sherif", "Rana", "Waleed", "Heba", "Khaled", "Aya", "Mostafa", "Laila"}, 1, nil, nil},
	{"JP", true, []string{"Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura", "Kobayashi", "Kato", "Yoshida", "Yamada", "Sasaki", "Yamaguchi", "Matsumoto", "Inoue", "Kimura", "Hayashi", "Shimizu", "Mori"},
		[]string{"Haruto", "Yui", "Sota", "Hina", "Yuto", "Aoi", "Riku", "Sakura", "Hiroshi", "Yuki", "Takumi", "Mei", "Kenta", "Rin", "Daiki", "Mio", "Shota", "Nanami", "Kaito", "Airi"}, 1, nil, nil},
	{"VN", true, []string{"Nguyen", "Tran", "Le", "Pham", "Hoang", "Phan", "Vu", "Dang", "Bui", "Do", "Ho", "Ngo", "Duong", "Ly"},
		[]string{"Anh", "Minh", "Linh", "Huong", "Tuan", "Thao", "Duc", "Lan", "Hung", "Trang", "Nam", "Mai", "Quang", "Ha", "Long", "Thu", "Khoa", "Ngoc", "Phuong", "Binh"}, 2, nil, nil},
	{"NG", false, []string{"Okafor", "Adeyemi", "Okonkwo", "Balogun", "Eze", "Ibrahim", "Olawale", "Nwosu", "Adebayo", "Chukwu", "Bello", "Obi", "Afolabi", "Onyeka", "Ogunleye", "Musa", "Danjuma", "Eboh", "Okeke", "Abubakar"},
		[]string{"Chinedu", "Ngozi", "Emeka", "Funmilayo", "Tunde", "Amaka", "Ifeanyi", "Bisi", "Oluwaseun", "Chiamaka", "Segun", "Halima", "Yusuf", "Adaeze", "Kelechi", "Zainab", "Babatunde", "Nkechi", "Obinna", "Aisha"}, 1, nil, nil},
	{"TR", false, []string{"Yilmaz", "Kaya", "Demir", "Sahin", "Celik", "Yildiz", "Yildirim", "Ozturk", "Aydin", "Ozdemir", "Arslan", "Dogan", "Kilic", "Aslan", "Cetin", "Kara", "Koc", "Kurt", "Ozkan", "Simsek"},
		[]string{"Mehmet", "Ayse", "Mustafa", "Fatma", "Ahmet", "Emine", "Ali", "Hatice", "Huseyin", "Zeynep", "Hasan", "Elif", "Ibrahim", "Merve", "Murat", "Esra", "Emre", "Burak", "Ozlem", "Can"}, 1, nil, nil},
	{"BR", false, []string{"Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima", "Gomes", "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes", "Soares", "Fernandes", "Vieira", "Barbosa"},
		[]string{"Joao", "Ana", "Pedro", "Juliana", "Gabriel", "Fernanda", "Lucas", "Beatriz", "Rafael", "Camila", "Gustavo", "Larissa", "Felipe", "Mariana", "Bruno", "Leticia", "Thiago", "Vanessa", "Rodrigo", "Patricia"}, 1, nil, nil},
	{"PL", false, []string{"Nowak", "Kowalski", "Wisniewski", "Wojcik", "Kowalczyk", "Kaminski", "Lewandowski", "Zielinski", "Szymanski", "Wozniak", "Dabrowski", "Kozlowski", "Jankowski", "Mazur", "Kwiatkowski", "Krawczyk", "Piotrowski", "Grabowski", "Nowakowski", "Pawlowski"},
		[]string{"Piotr", "Anna", "Krzysztof", "Katarzyna", "Tomasz", "Malgorzata", "Pawel", "Agnieszka", "Michal", "Magdalena", "Marcin", "Joanna", "Lukasz", "Ewa", "Jakub", "Monika", "Grzegorz", "Aleksandra", "Adam", "Karolina"}, 1, nil, nil},
	{"UA", false, []string{"Melnyk", "Shevchenko", "Boyko", "Kovalenko", "Bondarenko", "Tkachenko", "Kovalchuk", "Kravchenko", "Oliynyk", "Shevchuk", "Koval", "Polishchuk", "Bondar", "Tkachuk", "Moroz", "Marchenko", "Lysenko", "Rudenko", "Savchenko", "Petrenko"},
		[]string{"Oleksandr", "Olena", "Andriy", "Iryna", "Serhiy", "Natalia", "Volodymyr", "Oksana", "Mykola", "Tetiana", "Dmytro", "Yulia", "Yuriy", "Svitlana", "Vasyl", "Halyna", "Ihor", "Kateryna", "Bohdan", "Mariya"}, 1, nil, nil},
}

// person is one generated candidate: names as written, date of birth,
// nationality.
type person struct {
	names       []string
	birthdate   string
	nationality string
}

// population generates n ordinary people, reproducibly from seed. A
// Korean or Chinese name is written in one of the forms people use
// (family first or last, given names hyphenated, spaced or run together);
// some people give a second spelling as an alias.
func population(n int, seed uint64) []person {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]person, n)
	for i := range out {
		c := &cultures[r.IntN(len(cultures))]
		fam := c.pick(r)
		parts := 1
		if c.givenParts > 1 && r.IntN(4) != 0 {
			parts = c.givenParts
		}
		var giv []string
		if c.common != nil && r.IntN(2) == 0 {
			for _, g := range strings.Split(c.common[r.IntN(len(c.common))], "-") {
				giv = append(giv, strings.ToUpper(g[:1])+g[1:])
			}
			parts = len(giv)
		} else {
			for range parts {
				giv = append(giv, c.given[r.IntN(len(c.given))])
			}
		}
		given := strings.Join(giv, " ")
		if parts > 1 {
			switch r.IntN(3) {
			case 0:
				given = giv[0] + "-" + strings.ToLower(strings.Join(giv[1:], "-"))
			case 1:
				given = giv[0] + strings.ToLower(strings.Join(giv[1:], ""))
			}
		} else if !c.familyFirst && r.IntN(5) == 0 { // a middle name
			given += " " + c.given[r.IntN(len(c.given))]
		}
		name := given + " " + fam
		if c.familyFirst && r.IntN(2) == 0 {
			name = fam + " " + given
		}
		p := person{names: []string{name}, nationality: c.country,
			birthdate: fmt.Sprintf("%04d-%02d-%02d", 1960+r.IntN(45), 1+r.IntN(12), 1+r.IntN(28))}
		if r.IntN(10) == 0 { // an alias: the name in the other order
			p.names = append(p.names, fam+" "+given)
		}
		out[i] = p
	}
	// the commonest names, each once, whatever the draw gave: the
	// eight commonest Korean and Chinese family names with each of the
	// commonest given names, in the forms people write them
	common := commonest(r)
	if len(common) <= n {
		copy(out[n-len(common):], common)
	}
	return out
}

// commonest is one person for each of the commonest Korean names (eight
// family names by their share times krCommon: Kim Min-jun, Park Ji-hoon,
// Lee Ji-eun...) and Chinese names (Li Wei, Wang Fang, Zhang Wei...),
// written in turn family first hyphenated, run together, spaced and
// family last; dates of birth drawn from r.
func commonest(r *rand.Rand) []person {
	var out []person
	for _, c := range []struct {
		country string
		family  []string
		given   []string
	}{{"KR", cultures[0].family[:8], krCommon}, {"CN", cultures[1].family[:8], cnCommon}} {
		for i, f := range c.family {
			for j, g := range c.given {
				var name string
				switch (i + j) % 4 {
				case 0:
					name = f + " " + g
				case 1:
					name = f + " " + strings.ReplaceAll(g, "-", "")
				case 2:
					name = f + " " + strings.ReplaceAll(g, "-", " ")
				case 3:
					name = g + " " + f
				}
				out = append(out, person{names: []string{name}, nationality: c.country,
					birthdate: fmt.Sprintf("%04d-%02d-%02d", 1960+r.IntN(45), 1+r.IntN(12), 1+r.IntN(28))})
			}
		}
	}
	return out
}
